"""Scheduled messages: `timing` (cron, local times, what a tick does: pure), `service` (validation and storage),
`runner` (the beat tick: claim due occurrences, queue send jobs, record history)."""
