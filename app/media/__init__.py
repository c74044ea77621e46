"""Input media, the first stage: files, pasted images and bytes checked and loaded (`app.media.inputs`),
and long screenshots cut into bands that are converted one by one (`app.media.bands`)."""
