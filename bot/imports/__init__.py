"""Ratings brought from elsewhere: Letterboxd and IMDb exports, MovieLens-style CSVs."""

from bot.imports.files import MAX_FILE_BYTES, BadImport
from bot.imports.importer import Imported, Importer

__all__ = ["MAX_FILE_BYTES", "BadImport", "Imported", "Importer"]
