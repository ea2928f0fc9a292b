"""One router per resource, written once; each reads the app's seams when the app is built."""
