#!/usr/bin/env node
// The `dropgate` bin (npm links it; executable in git, unlike the built dist/main.js).
// eslint-disable-next-line @typescript-eslint/no-require-imports
require("../dist/main.js");
