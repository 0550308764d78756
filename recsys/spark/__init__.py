"""A second training engine: Spark MLlib's ALS writes the same model file as the torch engine.

Optional: it needs ``pip install 'moviebot[spark]'`` and a Java 17 runtime. Nothing here
imports pyspark at import time, so the rest of ``recsys`` runs without it.
"""

from recsys.spark.availability import SparkUnavailable, require_spark
from recsys.spark.config import SparkTrainConfig

__all__ = ["SparkTrainConfig", "SparkUnavailable", "require_spark"]
