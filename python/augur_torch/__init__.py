"""Augur's world model in PyTorch: load an Augur checkpoint, fine-tune it on LeRobot v3 datasets,
write it back for Augur, and check that both compute the same (see README, "Training elsewhere")."""
