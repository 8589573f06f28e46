using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using PushHub.Storage;

namespace PushHub.Security;

/// <summary>
/// The HMAC key that signs subscribe tokens: <c>Auth:TokenSigningKey</c>, or one generated on first start and kept in
/// <c>token-signing.key</c> beside the database (owner read/write only), so tokens survive a restart.
/// </summary>
public sealed class TokenSigningKey
{
    public const string FileName = "token-signing.key";

    private readonly Lazy<SymmetricSecurityKey> _key;

    public TokenSigningKey(IOptions<AuthOptions> auth, IOptions<StorageOptions> storage) =>
        _key = new Lazy<SymmetricSecurityKey>(() => new SymmetricSecurityKey(
            string.IsNullOrEmpty(auth.Value.TokenSigningKey)
                ? LoadOrCreate(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(storage.Value.Path))!, FileName))
                : Encoding.UTF8.GetBytes(auth.Value.TokenSigningKey)));

    public SymmetricSecurityKey Key => _key.Value;

    /// <summary>Reads the key file, or creates it with 64 random bytes when it does not exist yet.</summary>
    public static byte[] LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(64);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            using var writer = new StreamWriter(path, Encoding.ASCII, options);
            writer.Write(Convert.ToBase64String(key));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another hub process sharing the data directory won the race: use its key.
            return Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        return key;
    }
}
