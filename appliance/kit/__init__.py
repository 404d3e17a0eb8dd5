"""The hello-world kit: the bill of materials, wiring diagrams drawn from a config\x27s pins, and the guide\x27s helpers."""
