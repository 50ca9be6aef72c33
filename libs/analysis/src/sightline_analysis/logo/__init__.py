"""Logo detection: reference-image feature matching and the library that feeds it."""
