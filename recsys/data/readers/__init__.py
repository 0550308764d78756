"""One reader per MovieLens release format; each turns a folder into a Dataset."""
