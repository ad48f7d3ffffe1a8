#!/usr/bin/env node
// A committed launcher, so that npm links `gantry` into node_modules/.bin at install time, before the
// build has produced dist/. It runs the bundle (see scripts/bundle-cli.mjs).
import "../dist/bundle/gantry.js";
