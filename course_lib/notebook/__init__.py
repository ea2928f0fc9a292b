"""The notebook machinery: the in-kernel server, display, exercises, progress, solutions, source, chapter set-up."""
