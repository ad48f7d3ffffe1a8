#!/usr/bin/env node
// A committed launcher, so that npm links `gantry` into node_modules/.bin at install time,
// before the TypeScript build has produced dist/.
import "../dist/main.js";
