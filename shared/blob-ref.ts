/** A stored image, passed through workflows instead of the bytes. */
export interface BlobRef {
  /** Lower-case hex sha256 of the bytes; also the storage address. */
  sha256: string;
  bytes: number;
  contentType: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}
