"""The page-action catalog: the only actions an answerer may ask the widget to perform."""
