"""HTML and CSS as data, shared by the stages that read or rewrite code: a forgiving tree, serialisation,
tags made to nest and CSS rules (`app.markup.parse`), and the well-formedness check (`app.markup.check`)."""
