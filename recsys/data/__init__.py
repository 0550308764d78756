"""MovieLens data: readers for every release format, the fetcher of every release, and types.

``load_dataset("ml-100k")`` or ``load_dataset("path/to/ml-25m.zip")`` gives a Dataset: a
ratings table and a Catalog of films with display titles.
"""

from recsys.data.errors import ChecksumError, DataFormatError, FetchError
from recsys.data.fetch import FetchResult, fetch
from recsys.data.load import default_data_dir, detect_format, load_catalog, load_dataset
from recsys.data.releases import RELEASES, Release, release
from recsys.data.titles import clean_title
from recsys.data.types import Catalog, Dataset
from recsys.data.user_ratings import read_user_ratings

__all__ = [
    "RELEASES",
    "Catalog",
    "ChecksumError",
    "DataFormatError",
    "Dataset",
    "FetchError",
    "FetchResult",
    "Release",
    "clean_title",
    "default_data_dir",
    "detect_format",
    "fetch",
    "load_catalog",
    "load_dataset",
    "read_user_ratings",
    "release",
]
