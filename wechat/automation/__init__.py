"""Group automation (issue 6): rules as plain functions, wired to the bot by `wechat.automation.handlers`.

Where is what:
- `settings`  — the per-account settings: defaults, validation, storage in SQL (AutomationSettings.settings);
- `naming`    — numbered group names ("Python✌{}群"): parsing, choosing a group with room, the next number;
- `invites`   — keyword matching and the invite plan (already a member / invite / create a new group);
- `notes`     — who joined, from WeChat's system notes;
- `votekick`  — kick commands and vote counting (Redis, with expiry);
- `blacklist` — the blacklist in SQL (Contact.is_blacklisted);
- `routing`   — where MP articles and relayed group messages go;
- `actions`   — doing things as the bot: paced sends through send jobs, paced group operations, audit;
- `handlers`  — the one @message_handler that routes each event (drivers.types, any driver) to the rules.
"""
