"""detector-logo: finds the logo library's brands in every segment."""
