#!/usr/bin/env node
'use strict';
process.env.ORT_DISABLE_TELEMETRY = process.env.ORT_DISABLE_TELEMETRY || '1';
require('../dist/cli/main.js').main();
