namespace PushHub.Webhooks.Formats;

/// <summary>
/// Where one webhook's events go and how: its format, URL (or <c>mailto:</c> address), options, template and, for
/// the standard format, its signing secrets. Built by <see cref="NotificationFormats"/> from checked or stored fields.
/// </summary>
internal sealed class NotificationDestination
{
    private readonly string[] _secretParts;

    public NotificationDestination(
        NotificationFormat format,
        string address,
        IReadOnlyDictionary<string, string> options,
        NotificationTemplate? template,
        SigningSecrets? signing = null)
    {
        Format = format;
        Address = address;
        Url = format.IsEmail ? null : new Uri(address, UriKind.Absolute);
        Options = options;
        Template = template;
        Signing = signing;
        // Longest first, so that a secret containing another is replaced whole.
        _secretParts = format.SecretParts(this).Where(part => part.Length >= 4).Distinct(StringComparer.Ordinal)
            .OrderByDescending(part => part.Length).ToArray();
    }

    public NotificationFormat Format { get; }

    /// <summary>The URL or <c>mailto:</c> address as registered (with its secrets: never show or log it).</summary>
    public string Address { get; }

    /// <summary>The HTTP URL; null for email.</summary>
    public Uri? Url { get; }

    /// <summary>The format's options, by name (with secret ones in clear: never show or log them).</summary>
    public IReadOnlyDictionary<string, string> Options { get; }

    public NotificationTemplate? Template { get; }

    /// <summary>The standard format's HMAC secrets.</summary>
    public SigningSecrets? Signing { get; }

    /// <summary>The URL as the API and logs may show it, its secret parts masked.</summary>
    public string MaskedAddress => Format.MaskAddress(this);

    /// <summary>The options as the API may show them, secret ones masked.</summary>
    public IReadOnlyDictionary<string, string> MaskedOptions => FormatOption.Masked(Options, Format.Options);

    /// <summary>An option's value, or null.</summary>
    public string? Option(string name) => Options.TryGetValue(name, out var value) ? value : null;

    /// <summary>
    /// <paramref name="text"/> with every secret part of this destination (tokens, routing keys, signatures, also
    /// URL-encoded) replaced by <c>****</c>: for error texts and response excerpts before they are stored or logged.
    /// </summary>
    public string? Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }
        foreach (var part in _secretParts)
        {
            text = text.Replace(part, FormatOption.Mask, StringComparison.Ordinal);
            var encoded = Uri.EscapeDataString(part);
            if (encoded != part)
            {
                text = text.Replace(encoded, FormatOption.Mask, StringComparison.Ordinal);
            }
        }
        return text;
    }
}

/// <summary>
/// The standard format's secrets: the current one, and a rotated-out one still signing until <see cref="PreviousUntil"/>,
/// with their HMAC keys decoded once (a destination is opened once per webhook and signs every delivery).
/// </summary>
internal sealed class SigningSecrets(string secret, string? previousSecret = null, DateTimeOffset? previousUntil = null)
{
    public string Secret { get; } = secret;

    public string? PreviousSecret { get; } = previousSecret;

    public DateTimeOffset? PreviousUntil { get; } = previousUntil;

    /// <summary>The HMAC key of <see cref="Secret"/> (<see cref="WebhookSigner.Key"/>).</summary>
    public byte[] Key { get; } = WebhookSigner.Key(secret);

    /// <summary>The HMAC key of <see cref="PreviousSecret"/>, or null.</summary>
    public byte[]? PreviousKey { get; } = previousSecret is null ? null : WebhookSigner.Key(previousSecret);
}
