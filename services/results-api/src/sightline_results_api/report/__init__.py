"""The sponsor exposure report (#19): sightings merged into exposures, each weighted by a
quality index and priced against a rate card; rendered as JSON, CSV and PDF."""
