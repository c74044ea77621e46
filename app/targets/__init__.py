"""Targets: the registry of the code a conversion can hand over — HTML, Tailwind, React, Vue — with each
one's fences, file extension, system prompt, conversion from HTML and preview page (`app.targets.registry`),
and the conversions themselves (`app.targets.react`, `app.targets.vue`, `app.targets.tailwind`)."""
