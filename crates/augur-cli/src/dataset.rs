//! `augur dataset info|validate|repair|stats`: look after LeRobot v3 datasets.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use augur_dataset::{Dataset, Repaired, repair, validate};

/// Options for `augur dataset`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Episodes, tasks, lengths, features and size.
    Info {
        /// The dataset folder.
        dir: PathBuf,
    },
    /// Check the layout against LeRobot v3 and the files against the metadata; exit 1 on problems.
    Validate {
        /// The dataset folder.
        dir: PathBuf,
    },
    /// Finish episodes a stopped or killed recorder left behind, keeping every complete second.
    Repair {
        /// The dataset folder.
        dir: PathBuf,
    },
    /// Print meta/stats.json (per-feature min, max, mean, std); written again first when it
    /// is missing or with --rebuild.
    Stats {
        /// The dataset folder.
        dir: PathBuf,
        /// Write meta/stats.json again from the running moments (meta/augur.json), or from every
        /// episode's rows where those are lost.
        #[arg(long)]
        rebuild: bool,
    },
}

pub fn run(args: &Args) -> Result<()> {
    match &args.action {
        Action::Info { dir } => info(dir),
        Action::Validate { dir } => {
            let ds = Dataset::open(dir)?;
            let r = validate(&ds);
            for n in &r.notes {
                println!("  {n}");
            }
            if r.ok() {
                println!("{}: valid LeRobot v3.0 dataset, {} episodes, {} frames", dir.display(), r.episodes, r.frames);
                Ok(())
            } else {
                for p in &r.problems {
                    println!("problem: {p}");
                }
                bail!("{} problem(s) in {}", r.problems.len(), dir.display())
            }
        }
        Action::Repair { dir } => {
            let mut ds = Dataset::open(dir)?;
            let _hold = augur_dataset::DatasetLock::take(dir)?;
            let done = repair(&mut ds)?;
            if done.is_empty() {
                println!("{}: nothing to repair", dir.display());
            }
            let mut failed = 0;
            for r in done {
                match r {
                    Repaired::Recovered(m) => println!(
                        "episode {}: recovered {} frames ({:.1} s), task {:?}",
                        m.episode_index,
                        m.length,
                        m.to_timestamp,
                        m.tasks.join("; ")
                    ),
                    Repaired::Empty(n) => println!("episode {n}: no complete second was written; removed"),
                    Repaired::Failed(n, why) => {
                        failed += 1;
                        println!("episode {n}: cannot be finished, left as it is: {why}");
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} episode(s) could not be repaired; their files are untouched");
            }
            Ok(())
        }
        Action::Stats { dir, rebuild } => {
            let mut ds = Dataset::open(dir)?;
            if *rebuild || !ds.layout.stats().exists() {
                let _hold = augur_dataset::DatasetLock::take(dir)?;
                ds.rebuild_stats()?;
                eprintln!("augur: wrote {} again", ds.layout.stats().display());
            }
            let stats = ds.layout.stats();
            let text = std::fs::read_to_string(&stats).with_context(|| format!("cannot read {}", stats.display()))?;
            print!("{text}");
            Ok(())
        }
    }
}

fn info(dir: &std::path::Path) -> Result<()> {
    let ds = Dataset::open(dir)?;
    let i = &ds.info;
    println!("{}: LeRobot {} dataset, {} fps", dir.display(), i.codebase_version, i.fps);
    println!(
        "  {} episodes, {} frames ({:.1} s), {} tasks",
        i.total_episodes,
        i.total_frames,
        i.total_frames as f64 / f64::from(i.fps.max(1)),
        i.total_tasks
    );
    for (k, f) in &i.features {
        println!("  feature {k}: {} {:?}", f.dtype, f.shape);
    }
    for e in ds.episodes()? {
        println!(
            "  episode {:>3}: {:>6} frames {:>7.1} s  {}{}",
            e.episode_index,
            e.length,
            e.to_timestamp - e.from_timestamp,
            e.tasks.join("; "),
            if e.recovered { "  (recovered after a crash)" } else { "" }
        );
    }
    let staged = ds.layout.staged();
    if !staged.is_empty() {
        println!("  {} episode(s) left unfinished by a stopped recorder: run `augur dataset repair`", staged.len());
    }
    Ok(())
}
