"""The prompt: which target the model writes and the chat messages that ask for it, with the inputs' OCR
lines or the layout sketch in the user turn (`app.prompt.plan`). Backend-neutral: no tokens, no pixels."""
