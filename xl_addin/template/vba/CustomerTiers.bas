Attribute VB_Name = "CustomerTiers"
' Customer Tiers ribbon callbacks (customUI14.xml onAction names) and a self-test function.
'
' Python is reached through the xlwings add-in with Application.Run "xlwings.xlam!RunPython",
' not through a VBA project reference to xlwings.xlam: such a reference stores the add-in's
' path on the machine that set it, and where that path differs (another user, another Office
' install) the reference is MISSING and the whole project stops compiling. Late binding keeps
' the workbook compiling everywhere and lets us say what to install when the add-in is absent.
' RunPython passes ActiveWorkbook to Python, so xw.Book.caller() is this workbook.
Option Explicit

Private Const XLWINGS_ADDIN As String = "xlwings.xlam"

Public Sub RefreshTiers(control As IRibbonControl)
    RunPythonCommand "import xl_addin.excel.ribbon as r; r.refresh_tiers()"
End Sub

Public Sub RebuildPareto(control As IRibbonControl)
    RunPythonCommand "import xl_addin.excel.ribbon as r; r.rebuild_pareto()"
End Sub

Public Sub ShowSettings(control As IRibbonControl)
    RunPythonCommand "import xl_addin.excel.ribbon as r; r.show_settings()"
End Sub

Public Sub CheckData(control As IRibbonControl)
    RunPythonCommand "import xl_addin.excel.ribbon as r; r.check_data()"
End Sub

Public Sub ImportFunctions(control As IRibbonControl)
    ' xlwings' own "Import Functions": reads "UDF Modules" from the xlwings.conf sheet.
    RunXlwingsMacro "ImportPythonUDFs"
End Sub

Public Function CT_SelfTest() As String
    ' Known answer for checks outside Excel: proves the project loads and compiles.
    CT_SelfTest = "CT-OK " & CStr(6 * 7)
End Function

Private Sub RunPythonCommand(ByVal pythonCommand As String)
    On Error GoTo Failed
    Application.Run XLWINGS_ADDIN & "!RunPython", pythonCommand
    Exit Sub
Failed:
    ReportMissingAddin Err.Description
End Sub

Private Sub RunXlwingsMacro(ByVal macroName As String)
    On Error GoTo Failed
    Application.Run XLWINGS_ADDIN & "!" & macroName
    Exit Sub
Failed:
    ReportMissingAddin Err.Description
End Sub

Private Sub ReportMissingAddin(ByVal reason As String)
    MsgBox "Customer Tiers needs the xlwings add-in." & vbCrLf & _
           "Install it once with:  xlwings addin install" & vbCrLf & _
           "then restart Excel." & vbCrLf & vbCrLf & reason, _
           vbExclamation, "Customer Tiers"
End Sub
