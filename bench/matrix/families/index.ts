/** Every family of the matrix, in the order the issue lists them. */
import type { Family, PointBase } from '../family.js';
import { crowds } from './crowds.js';
import { loneCaller } from './lone-caller.js';

const all: readonly Family<any>[] = [loneCaller, crowds];

export const families = all as readonly Family<PointBase>[];
