extension TOMLSyntaxCheck {
    typealias Scalars = ArraySlice<Unicode.Scalar>

    /// A TOML 1.0 integer: decimal with an optional sign and no leading zero, or unsigned
    /// `0x`, `0o`, `0b`; single underscores may stand between digits.
    static func isInteger(_ text: Scalars) -> Bool {
        if text.count > 2, text.first == "0" {
            let digits = text.dropFirst(2)
            switch text.dropFirst().first {
            case "x": return isDigits(digits, isHexadecimal)
            case "o": return isDigits(digits) { $0 >= "0" && $0 <= "7" }
            case "b": return isDigits(digits) { $0 == "0" || $0 == "1" }
            default: break
            }
        }
        return isDecimalInteger(text)
    }

    /// A TOML 1.0 float: a decimal integer part, then a fraction, an exponent or both; or
    /// `inf`/`nan` with an optional sign.
    static func isFloat(_ text: Scalars) -> Bool {
        let unsigned = text.first == "+" || text.first == "-" ? text.dropFirst() : text
        if unsigned.elementsEqual("inf".unicodeScalars) || unsigned.elementsEqual("nan".unicodeScalars) {
            return true
        }
        var mantissa = text
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            var exponent = text[(e + 1)...]
            if exponent.first == "+" || exponent.first == "-" { exponent = exponent.dropFirst() }
            guard isDigits(exponent, isDecimal) else { return false }
        } else if !text.contains(".") {
            return false
        }
        guard let dot = mantissa.firstIndex(of: ".") else { return isDecimalInteger(mantissa) }
        return isDecimalInteger(mantissa[..<dot]) && isDigits(mantissa[(dot + 1)...], isDecimal)
    }

    private static func isDecimalInteger(_ text: Scalars) -> Bool {
        let unsigned = text.first == "+" || text.first == "-" ? text.dropFirst() : text
        if unsigned.first == "0" { return unsigned.count == 1 }
        return isDigits(unsigned, isDecimal)
    }

    /// One or more digits, with single underscores only between two digits.
    private static func isDigits(_ text: Scalars, _ isDigit: (Unicode.Scalar) -> Bool) -> Bool {
        guard let first = text.first, let last = text.last, isDigit(first), isDigit(last) else { return false }
        var afterUnderscore = false
        for scalar in text {
            if scalar == "_" {
                guard !afterUnderscore else { return false }
                afterUnderscore = true
            } else {
                guard isDigit(scalar) else { return false }
                afterUnderscore = false
            }
        }
        return true
    }

    static func isDecimal(_ scalar: Unicode.Scalar) -> Bool {
        scalar >= "0" && scalar <= "9"
    }

    private static func isHexadecimal(_ scalar: Unicode.Scalar) -> Bool {
        isDecimal(scalar) || (scalar >= "a" && scalar <= "f") || (scalar >= "A" && scalar <= "F")
    }
}
