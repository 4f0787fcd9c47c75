/**
 * ONNX attributes are typed: an int attribute of 1 and a float attribute of 1.0 differ on the wire,
 * so every value says which kind it is.
 */
export type Attribute =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] };

export type Attributes = Readonly<Record<string, Attribute>>;
