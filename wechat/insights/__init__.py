"""Group insights: how each community is doing (joins and leaves, activity, silent members, newcomers, removals).

| module     | one reason to change                                                                  |
|------------|---------------------------------------------------------------------------------------|
| `notes`    | the system-note wording of joins and removals                                          |
| `events`   | recording joins/leaves from notes and syncs, one row per real event (pairing sources)  |
| `handler`  | the bot-side message handler that feeds join/removal notes to `events`                 |
| `buckets`  | local days and hours of the week in the configured time zone (pure)                    |
| `rollup`   | the daily rollup tables the beat task maintains                                        |
| `report`   | the figures of one group and the comparison of all groups, from rollups + live rows     |
| `export`   | CSV export with formula-injection neutralised                                          |
"""
