"""Episodes of a LeRobot v3 dataset (as `augur record` writes them, or any with a video
feature) as frames at a model's size, for training in PyTorch.

Parquet is read with pyarrow, the video with ffmpeg: each episode's span of its video file
(`from_timestamp` to `to_timestamp`; LeRobot v3 may pack several episodes in one file), centre
square crop, area-averaged to the model's size by ffmpeg: the pixels Augur's `to_model_input`
reads when the video is at the model's size, within a level or two of rounding otherwise."""
import json
import subprocess
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq


class DatasetError(Exception):
    pass


def episodes(root, size):
    """Every episode's frames, `[n, 3, size, size]` uint8 each (a quarter of float32's memory:
    an hour at 30 fps and 64² is 1.3 GB), and whether the video carries sound (its feature's
    `info.has_audio`)."""
    root = Path(root)
    try:
        return read_episodes(root, size)
    except (KeyError, AttributeError, TypeError, IndexError) as e:
        raise DatasetError(f"{root}: its metadata lacks what LeRobot v3 requires ({e!r}); check it with "
                           "`augur dataset validate`") from None


def read_episodes(root, size):
    info_path = root / "meta/info.json"
    if not info_path.is_file():
        raise DatasetError(f"{root}: no meta/info.json; is this a LeRobot v3 dataset? "
                           "(`augur dataset repair` finishes one whose recording was cut short)")
    info = json.loads(info_path.read_text())
    if info.get("codebase_version") != "v3.0":
        raise DatasetError(f"{root}: codebase_version {info.get('codebase_version')}, this reads v3.0")
    videos = [k for k, f in info["features"].items() if f.get("dtype") == "video"]
    if not videos:
        raise DatasetError(f"{root}: no video feature to train on")
    key = videos[0]
    heard = bool((info["features"][key].get("info") or {}).get("has_audio"))
    meta = sorted((root / "meta/episodes").glob("chunk-*/file-*.parquet"))
    reels = []
    for ep in (r for path in meta for r in pq.read_table(path).to_pylist()):
        video = root / info["video_path"].format(video_key=key, chunk_index=ep[f"videos/{key}/chunk_index"],
                                                 file_index=ep[f"videos/{key}/file_index"])
        start = float(ep.get(f"videos/{key}/from_timestamp") or 0.0)
        frames = decode(video, start, int(ep["length"]), size)
        if len(frames) != ep["length"]:
            raise DatasetError(f"{video}: episode {ep['episode_index']} has {ep['length']} frames, the video gave "
                               f"{len(frames)}; run `augur dataset validate` on it")
        reels.append(frames)
    if not reels:
        raise DatasetError(f"{root}: no finished episodes")
    return reels, heard


def decode(video, start, count, size):
    """`count` frames of `video` from `start` seconds, `[n, 3, size, size]` uint8."""
    crop = f"crop='min(iw,ih)':'min(iw,ih)',scale={size}:{size}:flags=area"
    cmd = ["ffmpeg", "-v", "error", "-ss", f"{start:.6f}", "-i", str(video), "-frames:v", str(count),
           "-vf", crop, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0:
        raise DatasetError(f"ffmpeg cannot read {video}: {done.stderr.decode().strip()}")
    pixels = np.frombuffer(done.stdout, np.uint8)
    n = len(pixels) // (3 * size * size)
    return np.ascontiguousarray(pixels[:n * 3 * size * size].reshape(n, size, size, 3).transpose(0, 3, 1, 2))
