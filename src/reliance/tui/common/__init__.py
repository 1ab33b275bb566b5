"""What the app's screens share: base screen, widgets, dialogs, data and rendering."""
