/**
 * Where a replica keeps its state between runs. The replica writes records (frames of the wire
 * format, checksummed, with the changes since the previous record) and reads them back in order
 * at start; a store only has to keep bytes safely:
 * - `append` resolves once the record survives a crash of the process (and of the machine,
 *   where the store can promise it);
 * - `replace` swaps everything stored for one record atomically: after a crash either the old
 *   records or the new one are there, never a mix that loses data;
 * - `load` returns the records in the order written, leaving out a torn last record.
 */
export interface Persistence {
  load(): Promise<Uint8Array[]>
  append(record: Uint8Array): Promise<void>
  replace(record: Uint8Array): Promise<void>
  close(): Promise<void>
}
