/**
 * The plain-JS floor's hand-written byte codec: unsigned varints and length-prefixed key strings
 * (ASCII written byte by byte, anything else as UTF-8), into one growing buffer.
 */

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

export class ByteWriter {
  bytes = new Uint8Array(1 << 16)
  length = 0

  reset(): void {
    this.length = 0
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < this.length + extra) size *= 2
    const grown = new Uint8Array(size)
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
  }

  varUint(value: number): void {
    this.ensure(10)
    const bytes = this.bytes
    let position = this.length
    while (value > 0x7f) {
      bytes[position++] = (value % 128) | 0x80
      value = Math.floor(value / 128)
    }
    bytes[position++] = value
    this.length = position
  }

  string(value: string): void {
    const length = value.length
    this.ensure(length * 3 + 10)
    let ascii = true
    for (let i = 0; i < length; i++) if (value.charCodeAt(i) > 0x7f) { ascii = false; break }
    if (!ascii) {
      const encoded = textEncoder.encode(value)
      this.varUint(encoded.length)
      this.bytes.set(encoded, this.length)
      this.length += encoded.length
      return
    }
    this.varUint(length)
    const bytes = this.bytes
    let position = this.length
    for (let i = 0; i < length; i++) bytes[position++] = value.charCodeAt(i)
    this.length = position
  }

  /** A copy of what was written: the frame handed to peers. */
  take(): Uint8Array {
    const frame = this.bytes.slice(0, this.length)
    this.length = 0
    return frame
  }
}

export class ByteReader {
  position = 0
  constructor(readonly bytes: Uint8Array) {}

  varUint(): number {
    const bytes = this.bytes
    let value = 0
    let scale = 1
    for (;;) {
      const byte = bytes[this.position++]
      if (byte === undefined) throw new RangeError('floor frame: truncated varint')
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 128
    }
  }

  string(): string {
    const length = this.varUint()
    const end = this.position + length
    if (end > this.bytes.length) throw new RangeError('floor frame: truncated string')
    const view = this.bytes.subarray(this.position, end)
    this.position = end
    for (let i = 0; i < length; i++) if (view[i]! > 0x7f) return textDecoder.decode(view)
    return String.fromCharCode.apply(null, view as unknown as number[])
  }

  get done(): boolean {
    return this.position >= this.bytes.length
  }
}
