export { BloomFilter } from './bloom-filter';
export { BLOOM_TARGET_FP_RATE, BloomCodeFilter, CodeFilterBuilder, codeFilterOf, EXACT_SET_MAX_CODES, ExactCodeSet, type CodeFilter } from './code-filter';
export { decodeCodeFilter, encodeCodeFilter, type VersionedFilter } from './filter-codec';
export { codeFilterKeys, codeFilterPrefix, type CodeFilterKeys } from './code-filter-keys';
export { invalidateCodeFilter, publishCodeFilter, rebuildCodeFilter, type RebuildResult } from './code-filter-publisher';
export { CodeFilterCache, type CodeFilterCacheOptions } from './code-filter-cache';
