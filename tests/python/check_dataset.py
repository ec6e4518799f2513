#!/usr/bin/env python3
"""Reads an Augur dataset the way other tools do: every parquet file with pyarrow, the task
table with pandas (whose index LeRobot reads the task texts from), and every video with ffprobe.
Prints one JSON summary; exits 1 with a message on the first disagreement."""
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq


def fail(msg):
    print(f"check_dataset: {msg}", file=sys.stderr)
    sys.exit(1)


def ffprobe(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_entries",
         "stream=codec_type,codec_name,nb_read_packets,width,height,pix_fmt,sample_rate",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=False)
    if out.returncode != 0:
        fail(f"ffprobe cannot read {path}: {out.stderr.strip()}")
    return json.loads(out.stdout)["streams"]


def main(root):
    root = Path(root)
    info = json.loads((root / "meta/info.json").read_text())
    if info["codebase_version"] != "v3.0":
        fail(f"codebase_version is {info['codebase_version']}")
    episodes = pq.read_table(root / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    tasks = pq.read_table(root / "meta/tasks.parquet")
    # LeRobot reads the tasks with pandas, the task text as the index: so must this check
    # (scripts/python-env.sh installs pandas).
    import pandas as pd
    task_texts = list(pd.read_parquet(root / "meta/tasks.parquet").index)
    if tasks.num_rows != len(task_texts):
        fail(f"pyarrow reads {tasks.num_rows} tasks, pandas {len(task_texts)}")
    summary = {"episodes": [], "tasks": task_texts, "total_frames": info["total_frames"]}
    video_key = next(k for k, f in info["features"].items() if f["dtype"] == "video")
    total = 0
    for ep in episodes:
        i = ep["episode_index"]
        data = root / info["data_path"].format(chunk_index=ep["data/chunk_index"], file_index=ep["data/file_index"])
        table = pq.read_table(data)
        rows = table.num_rows
        frame_index = table.column("frame_index").to_pylist()
        if frame_index != list(range(rows)):
            fail(f"episode {i}: frame_index is not 0..{rows - 1}")
        video = root / info["video_path"].format(
            video_key=video_key, chunk_index=ep[f"videos/{video_key}/chunk_index"],
            file_index=ep[f"videos/{video_key}/file_index"])
        streams = ffprobe(video)
        v = next(s for s in streams if s["codec_type"] == "video")
        a = [s for s in streams if s["codec_type"] == "audio"]
        frames = int(v["nb_read_packets"])
        if frames != rows or rows != ep["length"]:
            fail(f"episode {i}: {rows} rows, {frames} video frames, length {ep['length']}")
        if v["codec_name"] != "h264" or v["pix_fmt"] != "yuv420p":
            fail(f"episode {i}: video is {v['codec_name']} {v['pix_fmt']}")
        actions = table.column("action").to_pylist() if "action" in table.column_names else []
        summary["episodes"].append({
            "episode": i, "rows": rows, "video_frames": frames, "task": ep["tasks"],
            "audio": a[0]["codec_name"] if a else None, "actions_pressed": sum(1 for x in actions if any(x)),
            "recovered": ep.get("augur/recovered", False)})
        total += rows
    if total != info["total_frames"]:
        fail(f"info.json says {info['total_frames']} frames, the data files hold {total}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main(sys.argv[1])
