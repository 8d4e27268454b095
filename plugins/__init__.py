"""Built-in plugins. Each module follows the community plugin interface (docs/PLUGINS.md): `export()` returns an
object with `name`, `description`, the matching attributes and `main(msg)`."""
