/** Every family of the matrix, in the order the issue lists them. */
import type { Family, PointBase } from '../family.js';
import { batch } from './batch.js';
import { crowds } from './crowds.js';
import { independent } from './independent.js';
import { loneCaller } from './lone-caller.js';
import { mix } from './mix.js';
import { outage } from './outage.js';
import { processes } from './processes.js';

const all: readonly Family<any>[] = [loneCaller, crowds, batch, outage, processes, independent, mix];

export const families = all as readonly Family<PointBase>[];
