using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PushHub.Webhooks;

/// <summary>
/// Webhook secrets and signatures: <c>X-Webhook-Signature</c> (hex HMAC-SHA256 of the body) and the
/// <see href="https://www.standardwebhooks.com/">Standard Webhooks</see> <c>webhook-signature</c>
/// (base64 HMAC-SHA256 of <c>id.timestamp.body</c>).
/// </summary>
public static class WebhookSigner
{
    public const string SecretPrefix = "whsec_";

    private const string BodyPrefix = "sha256=";
    private const string StandardPrefix = "v1,";

    /// <summary>A new secret: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The HMAC key of a secret: the base64-decoded part after <c>whsec_</c>, else the UTF-8 bytes.</summary>
    public static byte[] Key(string secret)
    {
        if (secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            var encoded = secret[SecretPrefix.Length..];
            var buffer = new byte[encoded.Length];
            if (Convert.TryFromBase64String(encoded, buffer, out var written))
            {
                return buffer[..written];
            }
        }
        return Encoding.UTF8.GetBytes(secret);
    }

    /// <summary>Whether a secret given at registration is usable: 8 to 256 printable ASCII characters.</summary>
    public static bool IsAcceptableSecret(string secret) =>
        secret.Length is >= 8 and <= 256 && secret.All(c => c is >= '!' and <= '~');

    /// <summary><c>sha256=&lt;hex&gt;</c> for <c>X-Webhook-Signature</c>.</summary>
    public static string BodySignature(byte[] key, ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, body, hash);
        Span<char> text = stackalloc char[BodyPrefix.Length + (2 * HMACSHA256.HashSizeInBytes)];
        BodyPrefix.CopyTo(text);
        Convert.TryToHexStringLower(hash, text[BodyPrefix.Length..], out _);
        return new string(text);
    }

    /// <summary><c>v1,&lt;base64&gt;</c> over <c>id.timestamp.body</c>.</summary>
    public static string StandardSignature(byte[] key, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        // One HMAC over one pooled buffer: a one-shot HashData costs less than an IncrementalHash per delivery (issue #15).
        var length = Encoding.UTF8.GetMaxByteCount(id.Length) + 22 + body.Length; // 20 digits of a long, two dots
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        try
        {
            var written = Encoding.UTF8.GetBytes(id, buffer);
            buffer[written++] = (byte)'.';
            timestamp.TryFormat(buffer.AsSpan(written), out var digits, provider: CultureInfo.InvariantCulture);
            written += digits;
            buffer[written++] = (byte)'.';
            body.CopyTo(buffer.AsSpan(written));
            HMACSHA256.HashData(key, buffer.AsSpan(0, written + body.Length), hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        Span<char> text = stackalloc char[StandardPrefix.Length + 44]; // base64 of 32 bytes
        StandardPrefix.CopyTo(text);
        Convert.TryToBase64Chars(hash, text[StandardPrefix.Length..], out var encoded);
        return new string(text[..(StandardPrefix.Length + encoded)]);
    }

    /// <summary>The <c>webhook-id</c> of an event: the same on every retry and replay, so receivers can dedupe.</summary>
    public static string MessageId(long seq) => "evt_" + seq.ToString(CultureInfo.InvariantCulture);
}
