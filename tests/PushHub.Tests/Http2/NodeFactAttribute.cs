namespace PushHub.Tests.Http2;

/// <summary>A fact that needs node (an independent HTTP/2 client); it is skipped, saying why, where node is not installed.</summary>
public sealed class NodeFactAttribute : FactAttribute
{
    public const string NodePath = "/usr/bin/node";

    public NodeFactAttribute()
    {
        if (!File.Exists(NodePath))
        {
            Skip = $"node is not installed at {NodePath}: run 'apt-get install nodejs' to run the HTTP/2 test.";
        }
    }
}
