"""The group taste model: what one chat's reactions reward, learned from features of the photos.

Platform-free and storage-free: `features.photo_features(analysis)` turns an `Analysis` into
the compact vector kept per scored photo (never the photo), and `model.fit_taste(rated)` fits
one chat's model from those vectors and the reactions each photo got. Bots, the CLI contract
(`selfiebot taste`) and the benchmark all go through these two functions.
"""
