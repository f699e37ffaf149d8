/** `npm run -w clients/js generate`: rewrites src/generated/openapi.ts from the server's schemas. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GENERATED_FILE, generateOpenApiTypes } from './openapi-types.js';

await mkdir(dirname(GENERATED_FILE), { recursive: true });
await writeFile(GENERATED_FILE, await generateOpenApiTypes());
console.log(`wrote ${GENERATED_FILE}`);
