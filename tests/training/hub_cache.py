"""Put a small SIB-200-shaped dataset where `datasets` caches `load_dataset("Davlan/sib200", <config>)`.

Built by datasets' own Parquet builder, then placed in the hub loader's cache layout
(`<HF_DATASETS_CACHE>/Davlan___sib200/<config>/0.0.0/<hash>/`, which datasets' CachedDatasetModuleFactory reads
when the hub cannot be reached): what a node gets after someone loaded the dataset once with the hub reachable.
Run as `python tests/training/hub_cache.py CACHE_DIR` (datasets reads HF_DATASETS_CACHE when imported).
"""

import os
import shutil
import sys
from pathlib import Path

import pandas as pd

ROWS = {"eng_Latn": ("The team won the match.", "The new law was passed."),
        "deu_Latn": ("Die Mannschaft gewann das Spiel.", "Das neue Gesetz wurde verabschiedet.")}


def build(cache: Path) -> None:
    os.environ["HF_DATASETS_CACHE"] = str(cache)
    from datasets.data_files import DataFilesDict
    from datasets.packaged_modules.parquet.parquet import Parquet

    source = cache.parent / "parquet"
    for config, (sport, politics) in ROWS.items():
        files = {}
        for split, n in (("train", 48), ("validation", 8), ("test", 8)):
            folder = source / config
            folder.mkdir(parents=True, exist_ok=True)
            frame = pd.DataFrame({"index_id": range(n), "category": ["sports", "politics"] * (n // 2),
                                  "text": [f"{sport if i % 2 == 0 else politics} ({i})" for i in range(n)]})
            files[split] = [str(folder / f"{split}.parquet")]
            frame.to_parquet(files[split][0])
        builder = Parquet(dataset_name="sib200", config_name=config, data_files=DataFilesDict.from_patterns(files),
                          hash="0123456789abcdef")
        builder.download_and_prepare()
        built = Path(builder.cache_dir).parents[1]  # <cache>/sib200/<config>-<files hash>
        target = cache / "Davlan___sib200" / config
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(built), str(target))


if __name__ == "__main__":
    build(Path(sys.argv[1]))
