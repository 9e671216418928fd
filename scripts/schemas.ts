import { writeVariants } from './schema-variants.js';

writeVariants();
