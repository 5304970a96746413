"""An example sparketl plugin. Its transforms live in `etl_plugin_example.transforms`, which the
`etl.transforms` entry point names: `etl` imports it, and importing it registers them."""
