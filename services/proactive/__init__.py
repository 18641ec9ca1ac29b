"""Scheduled and proactive delivery: job plans and runs, alerts and digests, the exactly-once
outbox and its retention, pacing to Teams' limits, channel registrations, snoozes and conversation
references."""
