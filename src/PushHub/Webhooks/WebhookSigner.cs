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
    public static string BodySignature(byte[] key, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, body));

    /// <summary><c>v1,&lt;base64&gt;</c> over <c>id.timestamp.body</c>.</summary>
    public static string StandardSignature(byte[] key, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(id + "." + timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return "v1," + Convert.ToBase64String(hmac.GetHashAndReset());
    }

    /// <summary>The <c>webhook-id</c> of an event: the same on every retry and replay, so receivers can dedupe.</summary>
    public static string MessageId(long seq) => "evt_" + seq.ToString(CultureInfo.InvariantCulture);
}
