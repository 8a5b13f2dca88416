/** Canvases sized to their box in CSS pixels and drawn at the device pixel ratio. */

export interface FittedCanvas {
  readonly canvas: HTMLCanvasElement
  readonly context: CanvasRenderingContext2D
  /** Size in CSS pixels, updated when the box resizes. */
  width: number
  height: number
}

/** Track the canvas's box; `onResize` runs after each later size change (redraw there). */
export function fitCanvas(canvas: HTMLCanvasElement, onResize: () => void): FittedCanvas {
  const context = canvas.getContext('2d')
  if (context === null) throw new Error('simulator page: no 2D canvas context')
  const fitted: FittedCanvas = { canvas, context, width: 0, height: 0 }
  const resize = (notify: boolean) => {
    const box = canvas.parentElement!.getBoundingClientRect()
    const ratio = window.devicePixelRatio || 1
    fitted.width = Math.max(1, Math.floor(box.width))
    fitted.height = Math.max(1, Math.floor(box.height))
    canvas.width = Math.round(fitted.width * ratio)
    canvas.height = Math.round(fitted.height * ratio)
    canvas.style.width = `${fitted.width}px`
    canvas.style.height = `${fitted.height}px`
    context.setTransform(ratio, 0, 0, ratio, 0, 0)
    if (notify) onResize()
  }
  new ResizeObserver(() => resize(true)).observe(canvas.parentElement!)
  resize(false)
  return fitted
}
