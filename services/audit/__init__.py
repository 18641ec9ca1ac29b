"""The append-only audit trail: every change, who made it and when, with My Numbers masked."""
