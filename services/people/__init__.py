"""Who is who and what they may do: the organisation, people and their roles, the actor of a turn,
the one permission check, and the roster sync from Microsoft Graph."""
