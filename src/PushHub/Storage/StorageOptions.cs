using System.ComponentModel.DataAnnotations;
using PushHub.Storage.Redis;

namespace PushHub.Storage;

/// <summary>Where and how events are stored, bound from the <c>Storage</c> section.</summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string Section = "Storage";

    /// <summary>Which store provider holds the log, the task projection and the webhook outbox.</summary>
    [EnumDataType(typeof(StorageProvider), ErrorMessage = "Storage:Provider must be Sqlite or Redis.")]
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>The SQLite database file; a relative path is taken from the working directory.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Storage:Path must name the SQLite database file, e.g. data/pushhub.db.")]
    public string Path { get; set; } = "data/pushhub.db";

    /// <summary>
    /// SQLite's <c>synchronous</c> setting in WAL mode. <c>Normal</c> survives a crash of the hub process (the
    /// contract's durability); <c>Full</c> also survives a power cut, at the cost of an fsync per commit.
    /// </summary>
    [EnumDataType(typeof(SynchronousMode), ErrorMessage = "Storage:Synchronous must be Normal or Full.")]
    public SynchronousMode Synchronous { get; set; } = SynchronousMode.Normal;

    /// <summary>The most events one group commit may hold.</summary>
    [Range(1, 100_000, ErrorMessage = "Storage:MaxBatchEvents must be from 1 to 100000.")]
    public int MaxBatchEvents { get; set; } = 2000;

    /// <summary>The Redis provider's settings (<c>Storage:Redis</c>), used when <see cref="Provider"/> is Redis.</summary>
    public RedisStorageOptions Redis { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == StorageProvider.Redis)
        {
            foreach (var problem in Redis.Problems())
            {
                yield return new ValidationResult(problem, [nameof(Redis)]);
            }
        }
    }
}

/// <summary>The store providers (<c>Storage:Provider</c>).</summary>
public enum StorageProvider
{
    /// <summary>The embedded SQLite database: one node.</summary>
    Sqlite,

    /// <summary>A shared Redis: several hub nodes (cluster mode).</summary>
    Redis,
}

public enum SynchronousMode
{
    Normal,
    Full,
}
