"""The plugin system: load plugins (built-ins, entry points, PLUGIN_PATHS folders), pick the ones a message is
for, and run them with a time limit in the bot's process.

| module | one reason to change |
|---|---|
| `spec.py` | what a plugin object is (the community `export()` interface), normalized and checked |
| `matcher.py` | which plugins a message is for (patterns, exclusive, exclude, types, chats, self) |
| `loader.py` | where plugins come from |
| `registry.py` | the loaded plugins of this process, their switches and stored settings (SQL) |
| `settings.py` | per-plugin settings: validation, secrets from the environment, masking |
| `api.py` | what a running plugin may use (`current_call()`) |
| `runner.py` | running one plugin call: time limit, error report, reply through a send job |
| `handler.py` | the dispatcher's `plugins` handler (priority 100) |
| `config_cache.py` | switches, settings and rules the loop reads per message, cached until a commit changes them |
"""
