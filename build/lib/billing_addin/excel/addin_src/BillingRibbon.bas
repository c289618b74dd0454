Attribute VB_Name = "BillingRibbon"
' The Billing tab's one callback: every button of customUI14.xml calls OnBillingButton, and its Tag names
' the Python handler (billing_addin.excel.ribbon.HANDLERS). The work is done in Python through xlwings'
' RunPython (the xlwings module of this add-in); Python shows the messages and the status bar.
Option Explicit

Public Sub OnBillingButton(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open a billing workbook first.", vbInformation, "Billing"
        Exit Sub
    End If
    RunPython "from billing_addin.excel.xlwings_shell import ribbon_clicked; ribbon_clicked('" & control.Tag & "')"
End Sub
