"""acrfence's Textual app, its screens and wizards, and the command line."""
